// The one table of the console: a labelled, keyboard-focusable scroll region (at 360 px wide tables
// scroll sideways inside it, never the page), column headers, an optional row header per row and
// an empty state. Pages give it columns as data instead of writing the scaffolding again.
import type { ReactNode } from "react";
import { Empty } from "./layout";

export interface Column<T> {
  /** Column header; a hidden one (actions) is still read by screen readers. */
  header: string;
  hideHeader?: boolean;
  /** A short header shown on phones ("Convs" for "Conversations"); screen readers still read `header`. */
  short?: string;
  cell: (row: T) => ReactNode;
  /** This column names the row (`<th scope="row">`). */
  rowHeader?: boolean;
  className?: string;
}

interface Props<T> {
  /** The region's accessible name. */
  label: string;
  caption?: string;
  columns: Column<T>[];
  rows: T[] | undefined;
  rowKey: (row: T) => string;
  /** Shown instead of the table when there are no rows. */
  empty: ReactNode;
  /** Extra rows after the data (a totals row). */
  footer?: ReactNode;
  className?: string;
}

export function DataTable<T>({ label, caption, columns, rows, rowKey, empty, footer, className }: Props<T>) {
  if (!rows?.length && !footer) return <Empty>{empty}</Empty>;
  return (
    <div className={className ? `table-wrap ${className}` : "table-wrap"} tabIndex={0} role="region" aria-label={label}>
      <table>
        {caption && <caption>{caption}</caption>}
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.header} scope="col">
                {c.hideHeader ? (
                  <span className="visually-hidden">{c.header}</span>
                ) : c.short ? (
                  <>
                    <span className="col-long">{c.header}</span>
                    <span className="col-short" aria-hidden="true">
                      {c.short}
                    </span>
                  </>
                ) : (
                  c.header
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows?.map((r) => (
            <tr key={rowKey(r)}>
              {columns.map((c) =>
                c.rowHeader ? (
                  <th key={c.header} scope="row" className={c.className}>
                    {c.cell(r)}
                  </th>
                ) : (
                  <td key={c.header} className={c.className}>
                    {c.cell(r)}
                  </td>
                ),
              )}
            </tr>
          ))}
          {footer}
        </tbody>
      </table>
    </div>
  );
}
