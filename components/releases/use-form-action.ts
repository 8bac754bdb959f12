"use client";

import { startTransition, useActionState, useEffect, useRef, type FormEvent } from "react";
import type { ActionState } from "@/lib/actions/run";

/**
 * useActionState, dispatched from onSubmit instead of <form action>: React 19 resets uncontrolled
 * fields after a form action (stack-notes P12), which would wipe what the person typed when the
 * service refuses it. Password fields are cleared on purpose after every attempt.
 */
export function useFormAction<T = unknown>(action: (prev: ActionState<T>, form: FormData) => Promise<ActionState<T>>, opts: { resetOnSuccess?: boolean } = {}) {
  const [state, dispatch, pending] = useActionState<ActionState<T>, FormData>(action, { ok: true });
  const formRef = useRef<HTMLFormElement>(null);
  const { resetOnSuccess = false } = opts;
  useEffect(() => {
    if (resetOnSuccess && state.ok && state.message) formRef.current?.reset();
  }, [state, resetOnSuccess]);
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    for (const input of form.querySelectorAll<HTMLInputElement>("input[type=password]")) input.value = "";
    startTransition(() => dispatch(data));
  };
  const fieldError = (name: string) => state.fieldErrors?.[name]?.[0];
  return { state, onSubmit, pending, fieldError, formRef };
}
