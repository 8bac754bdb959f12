"use client";

import { setRegressionThresholdsAction, setTelemetryRetentionAction } from "@/lib/actions/telemetry";
import type { ActionState } from "@/lib/actions/run";
import type { RegressionSettings, RetentionSettings } from "@/lib/services/telemetry/settings";
import { FieldError } from "../releases/field-error";
import { useFormAction } from "../releases/use-form-action";
import { FormMessage } from "../ui";

type Field = { name: string; label: string; hint: string; step?: string };

function SettingsForm({ title, description, fields, values, action, testId }: {
  title: string;
  description: string;
  fields: Field[];
  values: Record<string, number>;
  action: (prev: ActionState, form: FormData) => Promise<ActionState>;
  testId: string;
}) {
  const { state, onSubmit, pending, fieldError } = useFormAction(action);
  return (
    <form onSubmit={onSubmit} className="space-y-3" data-testid={testId} noValidate>
      <h3 className="text-sm font-semibold text-slate-900">{title}</h3>
      <p className="max-w-2xl text-sm text-slate-600">{description}</p>
      <div className="grid gap-3 sm:grid-cols-2">
        {fields.map((f) => (
          <div key={f.name}>
            <label htmlFor={`${testId}-${f.name}`} className="label">{f.label}</label>
            <input
              id={`${testId}-${f.name}`}
              name={f.name}
              type="number"
              step={f.step ?? "1"}
              className="input mt-1"
              defaultValue={state.values?.[f.name] ?? values[f.name]}
              key={state.values?.[f.name] ?? values[f.name]}
              aria-describedby={`${testId}-${f.name}-hint${fieldError(f.name) ? ` ${testId}-${f.name}-error` : ""}`}
              aria-invalid={fieldError(f.name) ? true : undefined}
            />
            <p id={`${testId}-${f.name}-hint`} className="mt-1 text-xs text-slate-600">{f.hint}</p>
            <FieldError id={`${testId}-${f.name}`} message={fieldError(f.name)} />
          </div>
        ))}
      </div>
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-primary" disabled={pending}>{pending ? "Saving…" : "Save"}</button>
    </form>
  );
}

/** Telemetry retention and the health-regression thresholds (permission health.configure). */
export function HealthSettings({ retention, regression }: { retention: RetentionSettings; regression: RegressionSettings }) {
  return (
    <div className="grid gap-8 lg:grid-cols-2">
      <SettingsForm
        title="Telemetry retention"
        description="Raw samples are kept for troubleshooting; charts and the regression check read the hourly rollups, which can be kept much longer."
        testId="retention-form"
        values={retention}
        action={setTelemetryRetentionAction}
        fields={[
          { name: "rawDays", label: "Keep raw samples (days)", hint: "1 to 3650 days." },
          { name: "hourlyDays", label: "Keep hourly rollups (days)", hint: "7 to 3650 days, at least as long as raw samples." },
        ]}
      />
      <SettingsForm
        title="Health regression thresholds"
        description="During a rollout each health metric of updated devices is compared with not-yet-updated devices of the same model (one-sided Welch t-test). A metric regresses only when the difference is both significant and large enough."
        testId="regression-form"
        values={regression}
        action={setRegressionThresholdsAction}
        fields={[
          { name: "alpha", label: "Significance level (p below)", hint: "For example 0.01; at most 0.2.", step: "0.001" },
          { name: "minEffectPct", label: "Minimum worsening (%)", hint: "How much higher the updated devices' mean must be." },
          { name: "minExposureHours", label: "Minimum exposure per device (hours)", hint: "Hours of data a device needs to be counted." },
          { name: "minDevices", label: "Minimum devices per group", hint: "Below this, nothing is decided." },
        ]}
      />
    </div>
  );
}
