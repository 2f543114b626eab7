// The signed-out pages: sign in, register, password reset (request and confirm), accept an invitation.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent, type ReactNode } from "react";
import { Link, useLocation, useSearch } from "wouter";
import { api, startSession } from "../api/client";
import { ErrorNote, Field, formValues, Submit } from "../ui/forms";

function AuthCard({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <main id="main" className="auth">
      <div className="card auth-card">
        <p className="brand">EdgeCoach</p>
        <h1>{title}</h1>
        {children}
        {footer && <div className="auth-footer">{footer}</div>}
      </div>
    </main>
  );
}

function useSignIn(path: string) {
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  return useMutation({
    mutationFn: (body: unknown) => startSession(path, body),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["me"] });
      navigate("/");
    },
  });
}

export function SignIn() {
  const signIn = useSignIn("/api/v1/auth/login");
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    signIn.mutate(formValues(e.currentTarget));
  };
  return (
    <AuthCard
      title="Sign in"
      footer={
        <>
          <Link href="/register">Create an account</Link> · <Link href="/reset-password">Forgot your password?</Link>
        </>
      }
    >
      <form onSubmit={submit}>
        <Field label="Email" name="email" type="email" autoComplete="email" required />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required />
        <ErrorNote error={signIn.error} />
        <Submit busy={signIn.isPending}>Sign in</Submit>
      </form>
    </AuthCard>
  );
}

export function Register() {
  const register = useSignIn("/api/v1/auth/register");
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const v = formValues(e.currentTarget);
    register.mutate({
      full_name: v.full_name,
      email: v.email,
      password: v.password,
      ...(v.company_name ? { company_name: v.company_name } : {}),
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    });
  };
  return (
    <AuthCard title="Create your account" footer={<Link href="/sign-in">I already have an account</Link>}>
      <form onSubmit={submit}>
        <Field label="Your name" name="full_name" autoComplete="name" required />
        <Field label="Business name (optional)" name="company_name" autoComplete="organization" />
        <Field label="Email" name="email" type="email" autoComplete="email" required />
        <Field label="Password" name="password" type="password" autoComplete="new-password" required minLength={8} hint="At least 8 characters with letters and digits; not a common password." />
        <ErrorNote error={register.error} />
        <Submit busy={register.isPending}>Create account</Submit>
      </form>
    </AuthCard>
  );
}

export function ResetPassword() {
  const token = new URLSearchParams(useSearch()).get("token");
  const [done, setDone] = useState<string | null>(null);
  const request = useMutation({
    mutationFn: (email: string) => api<{ message: string }>("/api/v1/auth/password/reset/request", { json: { email } }),
    onSuccess: (r) => setDone(r.message),
  });
  const confirm = useMutation({
    mutationFn: (body: { token: string; new_password: string }) => api<{ message: string }>("/api/v1/auth/password/reset/confirm", { json: body }),
    onSuccess: (r) => setDone(r.message),
  });
  if (done)
    return (
      <AuthCard title="Reset password" footer={<Link href="/sign-in">Back to sign in</Link>}>
        <p role="status">{done}</p>
      </AuthCard>
    );
  if (token)
    return (
      <AuthCard title="Choose a new password" footer={<Link href="/sign-in">Back to sign in</Link>}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            confirm.mutate({ token, new_password: formValues(e.currentTarget).password! });
          }}
        >
          <Field label="New password" name="password" type="password" autoComplete="new-password" required />
          <ErrorNote error={confirm.error} />
          <Submit busy={confirm.isPending}>Set password</Submit>
        </form>
      </AuthCard>
    );
  return (
    <AuthCard title="Reset password" footer={<Link href="/sign-in">Back to sign in</Link>}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          request.mutate(formValues(e.currentTarget).email!);
        }}
      >
        <Field label="Email" name="email" type="email" autoComplete="email" required hint="We mail you a link to choose a new password." />
        <ErrorNote error={request.error} />
        <Submit busy={request.isPending}>Send reset link</Submit>
      </form>
    </AuthCard>
  );
}

export function AcceptInvitation() {
  const token = new URLSearchParams(useSearch()).get("token") ?? "";
  const accept = useSignIn("/api/v1/auth/invitations/accept");
  return (
    <AuthCard title="Join your team" footer={<Link href="/sign-in">I already have an account</Link>}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const v = formValues(e.currentTarget);
          accept.mutate({ token: v.token, password: v.password, ...(v.full_name ? { full_name: v.full_name } : {}) });
        }}
      >
        <Field label="Invitation token" name="token" defaultValue={token} required hint="From your invitation email." />
        <Field label="Your name (optional)" name="full_name" autoComplete="name" />
        <Field label="Choose a password" name="password" type="password" autoComplete="new-password" required />
        <ErrorNote error={accept.error} />
        <Submit busy={accept.isPending}>Join</Submit>
      </form>
    </AuthCard>
  );
}
