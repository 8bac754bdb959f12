-- Release governance guarantees enforced by the database itself, behind the service layer's checks.

-- SIG-01/02/10: a signature's time comes from the database clock, it binds to the release's current
-- content hash (so it cannot be copied to another record or to another version of this one), and it is
-- never changed or removed: revoking is a new signature.
CREATE FUNCTION release_signatures_bind() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  current_hash text;
BEGIN
  SELECT content_hash INTO current_hash FROM releases WHERE id = NEW.release_id;
  IF current_hash IS NULL OR current_hash = '' OR current_hash <> NEW.content_hash THEN
    RAISE EXCEPTION 'signature content hash does not match release % as it stands', NEW.release_id
      USING ERRCODE = 'check_violation';
  END IF;
  NEW.signed_at := clock_timestamp();
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER release_signatures_bind BEFORE INSERT ON release_signatures
  FOR EACH ROW EXECUTE FUNCTION release_signatures_bind();
--> statement-breakpoint
CREATE FUNCTION release_signatures_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'release_signatures is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER release_signatures_no_update_delete BEFORE UPDATE OR DELETE ON release_signatures
  FOR EACH ROW EXECUTE FUNCTION release_signatures_reject_change();
--> statement-breakpoint
CREATE TRIGGER release_signatures_no_truncate BEFORE TRUNCATE ON release_signatures
  FOR EACH STATEMENT EXECUTE FUNCTION release_signatures_reject_change();
--> statement-breakpoint
-- SIG-07: the lifecycle cannot skip a step, whoever writes the row: a release is born a draft, and each
-- change of state is one allowed step.
CREATE FUNCTION releases_lifecycle() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.state <> 'draft' THEN
      RAISE EXCEPTION 'a release starts as a draft, not %', NEW.state USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.state IS DISTINCT FROM OLD.state AND (OLD.state::text, NEW.state::text) NOT IN (
    ('draft', 'submitted'), ('submitted', 'verified'), ('verified', 'in_review'),
    ('in_review', 'approved'), ('in_review', 'rejected'),
    ('approved', 'withdrawn'), ('approved', 'recalled'), ('approved', 'in_review')
  ) THEN
    RAISE EXCEPTION 'release % cannot go from % to %', OLD.id, OLD.state, NEW.state
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER releases_lifecycle BEFORE INSERT OR UPDATE OF state ON releases
  FOR EACH ROW EXECUTE FUNCTION releases_lifecycle();
--> statement-breakpoint
-- SIG-07: no device target can exist for a release that is not approved.
CREATE FUNCTION deployment_actions_require_approved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM releases WHERE id = NEW.release_id AND state = 'approved') THEN
    RAISE EXCEPTION 'release % is not approved; it cannot be given to a device', NEW.release_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER deployment_actions_require_approved BEFORE INSERT ON deployment_actions
  FOR EACH ROW EXECUTE FUNCTION deployment_actions_require_approved();
