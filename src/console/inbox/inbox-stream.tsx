// The member's one live inbox socket (WS /api/v1/inbox/connect): events invalidate the TanStack Query
// keys they concern, a reconnect resumes after the last seq seen, and a handover pulls attention.
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { freshToken } from "../api/client";
import { invalidationsFor, isHandover, nextDelay, type InboxFrame } from "./inbox-events";

interface StreamState {
  connected: boolean;
  /** Handovers seen since the member last looked at the inbox. */
  handovers: number;
  clearHandovers: () => void;
  muted: boolean;
  setMuted: (muted: boolean) => void;
}

const StreamContext = createContext<StreamState>({ connected: false, handovers: 0, clearHandovers: () => {}, muted: false, setMuted: () => {} });
export const useInboxStream = () => useContext(StreamContext);

/** A socket silent for longer than this is taken for dead by proxies: a ping keeps it open. */
const PING_MS = 25_000;

function beep() {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    osc.frequency.value = 880;
    osc.connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.15);
  } catch {
    /* no audio device: the badge still shows */
  }
}

function apply(qc: QueryClient, f: InboxFrame) {
  for (const key of invalidationsFor(f)) void qc.invalidateQueries({ queryKey: key });
}

export function InboxStreamProvider({ enabled, children }: { enabled: boolean; children: ReactNode }) {
  const qc = useQueryClient();
  const [connected, setConnected] = useState(false);
  const [handovers, setHandovers] = useState(0);
  const [muted, setMutedState] = useState(() => localStorage.getItem("inbox-muted") === "1");
  const mutedRef = useRef(muted);
  mutedRef.current = muted;

  useEffect(() => {
    if (!enabled) return;
    let stopped = false;
    let socket: WebSocket | null = null;
    let lastSeq: number | null = null;
    let attempt = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let ping: ReturnType<typeof setInterval> | undefined;

    const connect = async () => {
      const token = await freshToken();
      if (stopped) return;
      if (!token) return void (retry = setTimeout(connect, nextDelay(attempt++)));
      const url = new URL("/api/v1/inbox/connect", location.href);
      url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
      url.searchParams.set("token", token);
      if (lastSeq !== null) url.searchParams.set("after_seq", String(lastSeq));
      const ws = new WebSocket(url);
      socket = ws;
      ws.onmessage = (ev) => {
        const f = JSON.parse(String(ev.data)) as InboxFrame;
        if (f.type === "connection_established") {
          attempt = 0;
          setConnected(true);
          // First contact: follow from now (the lists were just loaded over REST); a resume replays.
          if (lastSeq === null) lastSeq = f.last_seq ?? 0;
          // Anything that happened while away without a seq to resume from: reload the lists.
          else void qc.invalidateQueries({ queryKey: ["conversations"] });
          return;
        }
        if (f.type === "event" && typeof f.seq === "number") lastSeq = Math.max(lastSeq ?? 0, f.seq);
        apply(qc, f);
        if (isHandover(f)) {
          setHandovers((n) => n + 1);
          if (!mutedRef.current) beep();
        }
      };
      ws.onclose = () => {
        if (socket === ws) socket = null;
        setConnected(false);
        if (!stopped) retry = setTimeout(connect, nextDelay(attempt++));
      };
    };
    void connect();
    ping = setInterval(() => {
      if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" }));
    }, PING_MS);
    return () => {
      stopped = true;
      clearTimeout(retry);
      clearInterval(ping);
      socket?.close(1000, "signed out");
      setConnected(false);
    };
  }, [enabled, qc]);

  const value: StreamState = {
    connected,
    handovers,
    clearHandovers: () => setHandovers(0),
    muted,
    setMuted: (m) => {
      setMutedState(m);
      localStorage.setItem("inbox-muted", m ? "1" : "0");
    },
  };
  return <StreamContext.Provider value={value}>{children}</StreamContext.Provider>;
}
