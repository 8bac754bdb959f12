import { describe, expect, it } from "vitest";
import { failureReason, nextActionState, parseFeedback, type Feedback } from "./action-state";

const fb = (execution: string, details: string[] = [], finished: string | null = "none", kind: Feedback["kind"] = "deployment"): Feedback => ({ kind, execution, finished, details });

describe("action state machine (UPD-08, ROL-13)", () => {
  it("follows SWUpdate's happy path to installed-awaiting-confirmation, then success on closed", () => {
    let s = nextActionState("scheduled", fb("proceeding", ["Installing Update Chunk Artifacts."]));
    expect(s).toBe("downloading");
    s = nextActionState(s, fb("proceeding", ["[install_single_image] : Found installer for stream payload.bin raw"]));
    expect(s).toBe("installing");
    s = nextActionState(s, fb("proceeding", ["Installed Chunk."]));
    expect(s).toBe("installing");
    s = nextActionState(s, fb("proceeding", ["All Chunks Installed."]));
    expect(s).toBe("installed_awaiting_confirmation");
    expect(nextActionState(s, fb("closed", ["Update Installed."], "success"))).toBe("succeeded");
  });

  it("never moves backwards on a late or repeated progress report", () => {
    expect(nextActionState("installed_awaiting_confirmation", fb("proceeding", ["Installing Update Chunk Artifacts."]))).toBe("installed_awaiting_confirmation");
    expect(nextActionState("installing", fb("downloaded"))).toBe("installing");
  });

  it("never moves a finished action", () => {
    for (const done of ["succeeded", "failed", "canceled", "rolled_back"] as const) {
      expect(nextActionState(done, fb("closed", [], "failure"))).toBe(done);
      expect(nextActionState(done, fb("proceeding", ["All Chunks Installed."]))).toBe(done);
      expect(nextActionState(done, fb("closed", [], "success", "cancel"))).toBe(done);
    }
  });

  it("fails on closed/failure, also straight from scheduled", () => {
    expect(nextActionState("scheduled", fb("closed", ["No suitable .swu image found"], "failure"))).toBe("failed");
  });

  it("handles cancel: acknowledged → canceled; install finished first → succeeded", () => {
    expect(nextActionState("cancel_requested", fb("closed", ["cancellation acknowledged."], "success", "cancel"))).toBe("canceled");
    expect(nextActionState("cancel_requested", fb("proceeding", ["Installing Update Chunk Artifacts."]))).toBe("cancel_requested");
    expect(nextActionState("cancel_requested", fb("closed", ["Update Installed."], "success"))).toBe("succeeded");
    expect(nextActionState("downloading", fb("closed", [], "success", "cancel"))).toBe("downloading");
  });

  it("ignores scheduled/resumed/rejected and unknown executions", () => {
    for (const e of ["scheduled", "resumed", "rejected", "weird"]) expect(nextActionState("downloading", fb(e))).toBe("downloading");
  });
});

describe("lenient feedback parsing", () => {
  it("accepts SWUpdate's invalid JSON with raw newlines and marks it", () => {
    const raw = '{ "id": 5, "status": { "result": { "finished": "failure" }, "execution": "closed", "details" : [ "No artifact download URL reported by server.\n","No suitable .swu image found" ] } }';
    const parsed = parseFeedback(raw, "deployment");
    expect(parsed?.invalidJson).toBe(true);
    expect(parsed?.feedback).toMatchObject({ execution: "closed", finished: "failure" });
    expect(parsed?.feedback.details).toHaveLength(2);
  });

  it("rejects bodies that are not feedback", () => {
    expect(parseFeedback("not json at all {", "deployment")).toBeNull();
    expect(parseFeedback('{"status":{}}', "deployment")).toBeNull();
  });

  it("picks the real error line as the failure reason", () => {
    expect(failureReason(["SWUPDATE started", "ERROR : HASH mismatch : aa <--> bb", "No suitable .swu image found"])).toBe("ERROR : HASH mismatch : aa <--> bb");
    expect(failureReason(["No suitable .swu image found"])).toBe("No suitable .swu image found");
    // Observed with an image signed by an unknown key: the cause comes first, its effects after.
    expect(
      failureReason(["ERROR : Cannot read stored update state.", "ERROR : Authentication of all signatures failed", "ERROR : Compatible SW not found", "ERROR : Writing into SWUpdate IPC stream failed.", "No suitable .swu image found"]),
    ).toBe("ERROR : Authentication of all signatures failed");
    expect(failureReason([])).toBeNull();
  });
});
