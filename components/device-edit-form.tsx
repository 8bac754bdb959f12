"use client";

import { useActionState } from "react";
import { updateDeviceAction } from "@/lib/actions/inventory";
import type { ActionState } from "@/lib/actions/run";
import { DEVICE_STATUSES, DEVICE_STATUS_LABELS, type DeviceStatus } from "@/lib/domain";
import { FormMessage } from "./ui";

type Props = {
  device: { id: number; unitId: number; status: DeviceStatus; hardwareRevision: string };
  units: { id: number; name: string; siteName: string }[];
};

export function DeviceEditForm({ device, units }: Props) {
  const [state, action, pending] = useActionState<ActionState, FormData>(updateDeviceAction, { ok: true });
  const err = (f: string) => state.fieldErrors?.[f]?.[0];
  return (
    <form action={action} className="space-y-4" aria-label="Change device">
      <input type="hidden" name="deviceId" value={device.id} />
      <FormMessage ok={state.ok} message={state.message} />
      <div>
        <label htmlFor="unitId" className="label">Unit</label>
        <select id="unitId" name="unitId" className="input" defaultValue={device.unitId}>
          {units.map((u) => (
            <option key={u.id} value={u.id}>{u.siteName} — {u.name}</option>
          ))}
        </select>
        {err("unitId") ? <p className="mt-1 text-xs text-red-700">{err("unitId")}</p> : null}
      </div>
      <div>
        <label htmlFor="status" className="label">Status</label>
        <select id="status" name="status" className="input" defaultValue={device.status}>
          {DEVICE_STATUSES.map((s) => (
            <option key={s} value={s}>{DEVICE_STATUS_LABELS[s]}</option>
          ))}
        </select>
      </div>
      <div>
        <label htmlFor="hardwareRevision" className="label">Hardware revision</label>
        <input id="hardwareRevision" name="hardwareRevision" className="input" defaultValue={device.hardwareRevision} />
        {err("hardwareRevision") ? <p className="mt-1 text-xs text-red-700">{err("hardwareRevision")}</p> : null}
      </div>
      <div>
        <label htmlFor="reason" className="label">Reason for the change</label>
        <input id="reason" name="reason" className="input" placeholder="e.g. moved to NICU for the winter surge" />
      </div>
      <button type="submit" className="btn-primary" disabled={pending}>{pending ? "Saving…" : "Save changes"}</button>
    </form>
  );
}
