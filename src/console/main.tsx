// The console's entry: query client, session, and the routes (heavy pages load lazily).
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode, Suspense, lazy } from "react";
import { createRoot } from "react-dom/client";
import { Redirect, Route, Router, Switch, useLocation } from "wouter";
import { AcceptInvitation, Register, ResetPassword, SignIn } from "./auth/pages";
import { SessionProvider, useSession } from "./auth/session";
import { HomePage } from "./home/home-page";
import { KnowledgeBasePage, KnowledgeList } from "./knowledge/pages";
import { PageErrorBoundary } from "./ui/error-boundary";
import { Layout } from "./ui/layout";
import "./styles.css";

const WidgetPage = lazy(() => import("./widget/widget-page"));
const InboxPage = lazy(() => import("./inbox/inbox-page"));
const ProgramsPage = lazy(() => import("./programs/programs-page"));
const ProgramEditor = lazy(() => import("./programs/program-editor"));
const TeamPage = lazy(() => import("./team/team-page"));
const ChannelsPage = lazy(() => import("./channels/channels-page"));
const AudiencePage = lazy(() => import("./audience/audience-page"));
const ProactivePage = lazy(() => import("./proactive/proactive-page"));
const AnalyticsPage = lazy(() => import("./analytics/analytics-page"));
const SettingsPage = lazy(() => import("./settings/settings-page"));

const queryClient = new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: true, staleTime: 5_000 } } });

function Routes() {
  const session = useSession();
  const [location] = useLocation();
  if (session.status === "loading") return <p className="loading" role="status">Loading…</p>;
  if (session.status === "signed-out")
    return (
      <Switch>
        <Route path="/register" component={Register} />
        <Route path="/reset-password" component={ResetPassword} />
        <Route path="/accept-invitation" component={AcceptInvitation} />
        <Route path="/sign-in" component={SignIn} />
        <Route>
          <Redirect to="/sign-in" replace />
        </Route>
      </Switch>
    );
  return (
    <Layout>
      <PageErrorBoundary resetKey={location}>
      <Suspense fallback={<p role="status">Loading…</p>}>
        <Switch>
          <Route path="/" component={HomePage} />
          <Route path="/knowledge" component={KnowledgeList} />
          <Route path="/knowledge/:id" component={KnowledgeBasePage} />
          <Route path="/widget" component={WidgetPage} />
          <Route path="/inbox" component={InboxPage} />
          <Route path="/inbox/:id" component={InboxPage} />
          <Route path="/channels" component={ChannelsPage} />
          <Route path="/programs" component={ProgramsPage} />
          <Route path="/programs/:id" component={ProgramEditor} />
          <Route path="/proactive" component={ProactivePage} />
          <Route path="/audience" component={AudiencePage} />
          <Route path="/analytics" component={AnalyticsPage} />
          <Route path="/team" component={TeamPage} />
          <Route path="/settings" component={SettingsPage} />
          <Route path="/sign-in">
            <Redirect to="/" replace />
          </Route>
          <Route path="/register">
            <Redirect to="/" replace />
          </Route>
          <Route>
            <h1>Page not found</h1>
          </Route>
        </Switch>
      </Suspense>
      </PageErrorBoundary>
    </Layout>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <Router base="/app">
        <SessionProvider>
          <Routes />
        </SessionProvider>
      </Router>
    </QueryClientProvider>
  </StrictMode>,
);
