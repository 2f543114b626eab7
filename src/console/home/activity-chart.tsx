// The home page's chart (lazy: uPlot loads only with it): conversations started per day.
import "uplot/dist/uPlot.min.css";
import { useEffect, useRef } from "react";
import uPlot from "uplot";

export default function ActivityChart({ days, counts }: { days: string[]; counts: number[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    const plot = new uPlot(
      {
        width: el.clientWidth,
        height: 200,
        legend: { show: false },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        // Whole conversations: no 0.5 ticks.
        axes: [{ stroke: "#374151" }, { stroke: "#374151", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000] }],
        series: [{}, { label: "Conversations", stroke: "#1d4ed8", fill: "rgba(29,78,216,0.12)", width: 2 }],
      },
      [xs, counts],
      el,
    );
    const resize = () => plot.setSize({ width: el.clientWidth, height: 200 });
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      plot.destroy();
    };
  }, [days, counts]);
  return <div ref={box} aria-hidden="true" />;
}
