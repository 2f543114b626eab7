// Prepares the browser assets the Worker serves from public/ (kept out of git): the API reference
// script, and widget.js bundled from src/widget/ (checked against its 15 KB gzip budget).
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = dirname(dirname(new URL(import.meta.url).pathname));
const scalar = join(root, "node_modules/@scalar/api-reference/dist/browser/standalone.js");
mkdirSync(join(root, "public/docs"), { recursive: true });
copyFileSync(scalar, join(root, "public/docs/scalar.js"));

const WIDGET_BUDGET_GZIP = 15 * 1024;
const widget = join(root, "public/widget.js");
await build({
  entryPoints: [join(root, "src/widget/widget.ts")],
  outfile: widget,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "none",
  logLevel: "warning",
});
const gzipped = gzipSync(readFileSync(widget)).byteLength;
if (gzipped > WIDGET_BUDGET_GZIP) {
  console.error(`widget.js is ${gzipped} bytes gzipped, over its ${WIDGET_BUDGET_GZIP} byte budget`);
  process.exit(1);
}
if (process.env.VERBOSE_ASSETS) console.log(`widget.js: ${readFileSync(widget).byteLength} bytes, ${gzipped} gzipped`);
