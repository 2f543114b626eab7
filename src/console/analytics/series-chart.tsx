// A detailed metric over time, one line per channel (lazy: uPlot loads only with the analytics page).
import "uplot/dist/uPlot.min.css";
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import type { Columns } from "./series";

const COLORS = ["#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0e7490"];

/** `whole`: counts, so the y axis never shows 0.5 steps. */
export default function SeriesChart({ columns, label, whole }: { columns: Columns; label: string; whole: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const plot = new uPlot(
      {
        width: el.clientWidth,
        height: 240,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max ?? 1)] } },
        axes: [{ stroke: "#374151" }, { stroke: "#374151", ...(whole && { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000, 10_000, 100_000] }) }],
        series: [{}, ...columns.series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: false }))],
      },
      [columns.xs, ...columns.series.map((s) => s.values)] as uPlot.AlignedData,
      el,
    );
    const resize = () => plot.setSize({ width: el.clientWidth, height: 240 });
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      plot.destroy();
    };
  }, [columns, whole]);
  // The figure's caption and the totals table say in words what the lines show.
  return <div ref={box} aria-hidden="true" data-label={label} className="series-chart" />;
}
