// The signed-in frame: a skip link, the navigation (a menu button on narrow screens) and the page.
import { useState, type ReactNode } from "react";
import { Link, useLocation } from "wouter";
import { endSession } from "../api/client";
import { useMe } from "../auth/session";
import { InboxStreamProvider, useInboxStream } from "../inbox/inbox-stream";
import { NotificationsBell } from "./notifications-bell";

const NAV: { href: string; label: string; roles?: string[] }[] = [
  { href: "/", label: "Home" },
  { href: "/knowledge", label: "Knowledge" },
  { href: "/widget", label: "Widget" },
  { href: "/inbox", label: "Inbox" },
  { href: "/channels", label: "Channels" },
  { href: "/programs", label: "Programs" },
  { href: "/proactive", label: "Proactive rules" },
  { href: "/audience", label: "Audience" },
  { href: "/analytics", label: "Analytics" },
  { href: "/team", label: "Team & account" },
  { href: "/settings", label: "Settings" },
];

export function Layout({ children }: { children: ReactNode }) {
  const me = useMe();
  return (
    <InboxStreamProvider enabled={me.permissions.includes("conversations")}>
      <Frame>{children}</Frame>
    </InboxStreamProvider>
  );
}

function Frame({ children }: { children: ReactNode }) {
  const me = useMe();
  const stream = useInboxStream();
  const [location] = useLocation();
  const [open, setOpen] = useState(false);
  const current = (href: string) => (href === "/" ? location === "/" : location.startsWith(href));
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">EdgeCoach</span>
        <button type="button" className="menu-toggle" aria-expanded={open} aria-controls="nav" onClick={() => setOpen(!open)}>
          Menu
        </button>
        <NotificationsBell />
        <span className="who">
          {me.full_name} <span className="role">({me.member.role})</span>
        </span>
        <button type="button" className="link-button" onClick={() => void endSession()}>
          Sign out
        </button>
      </header>
      <nav id="nav" aria-label="Main" className={open ? "nav open" : "nav"}>
        <ul>
          {NAV.map((item) => (
            <li key={item.href}>
              <Link href={item.href} aria-current={current(item.href) ? "page" : undefined} onClick={() => setOpen(false)}>
                {item.label}
              </Link>
              {/* Beside the link, not in it: the link's name stays "Inbox". */}
              {item.href === "/inbox" && stream.handovers > 0 && (
                <span className="attention nav-badge" data-testid="handover-badge">
                  {stream.handovers}
                  <span className="visually-hidden"> new handover{stream.handovers === 1 ? "" : "s"}</span>
                </span>
              )}
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

export function Page({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  return (
    <>
      <div className="page-head">
        <h1>{title}</h1>
        {actions}
      </div>
      {children}
    </>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{status.replace(/_/g, " ")}</span>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}
