-- Audit trail guarantees enforced by the database itself (AUD-04, AUD-05, AUD-06).

-- The canonical content of an audit row, hashed together with the previous row's hash.
-- jsonb_build_array keeps order and NULLs, and its text form is deterministic.
CREATE FUNCTION audit_event_hash(e audit_events) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(jsonb_build_array(
    e.prev_hash, e.seq, to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    e.actor_type, e.actor_id, e.actor_name, e.action, e.outcome, e.entity_type, e.entity_id,
    e.before, e.after, e.changed_fields, e.reason, e.source_ip, e.user_agent
  )::text, 'UTF8')), 'hex')
$$;
--> statement-breakpoint
-- Chain each new row to the last one. The advisory lock serialises writers so the chain stays linear;
-- it is held until the writing transaction ends. Time always comes from the database clock.
CREATE FUNCTION audit_events_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  last_seq bigint;
  last_hash text;
BEGIN
  PERFORM pg_advisory_xact_lock(7310001);
  SELECT seq, row_hash INTO last_seq, last_hash FROM audit_events ORDER BY seq DESC LIMIT 1;
  NEW.seq := COALESCE(last_seq, 0) + 1;
  NEW.prev_hash := COALESCE(last_hash, repeat('0', 64));
  NEW.created_at := clock_timestamp();
  NEW.row_hash := audit_event_hash(NEW);
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_chain();
--> statement-breakpoint
CREATE FUNCTION audit_events_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change();
