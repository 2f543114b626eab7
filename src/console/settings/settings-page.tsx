// Settings (owners and admins): the assistant persona, API keys, outgoing webhooks, the plan's usage.
import { useMe } from "../auth/session";
import { Empty, Page } from "../ui/layout";
import { ApiKeys } from "./api-keys";
import { PersonaForm } from "./persona";
import { PlanUsage } from "./plan-usage";
import { Webhooks } from "./webhooks";

export default function SettingsPage() {
  const me = useMe();
  if (me.member.role === "agent")
    return (
      <Page title="Settings">
        <Empty>Only the owner and admins change the assistant, keys and webhooks.</Empty>
      </Page>
    );
  return (
    <Page title="Settings">
      <PersonaForm />
      <ApiKeys />
      <Webhooks />
      <PlanUsage />
    </Page>
  );
}
