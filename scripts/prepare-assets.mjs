// Prepares the browser assets the Worker serves from public/ (kept out of git): the API reference
// script, widget.js bundled from src/widget/ (checked against its 15 KB gzip budget), and the
// creator console built by Vite from src/console/ into public/app/ (its first load under 200 KB gzip).
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
// Subresource Integrity of this very build (tracker 11): the embed endpoints serve it in the snippet,
// so a page that embeds the widget refuses a widget.js altered on the way or on a CDN.
writeFileSync(join(root, "public/widget.js.sri"), `sha384-${createHash("sha384").update(readFileSync(widget)).digest("base64")}`);
if (process.env.VERBOSE_ASSETS) console.log(`widget.js: ${readFileSync(widget).byteLength} bytes, ${gzipped} gzipped`);
// The versioned copy the embed code points at (served with immutable caching: a new build is a new
// URL), and the name the Worker reads to build the embed code. widget.js itself stays for old embeds.
const widgetHash = createHash("sha256").update(readFileSync(widget)).digest("hex").slice(0, 16);
for (const f of readdirSync(join(root, "public"))) if (/^widget\.[0-9a-f]{16}\.js$/.test(f)) rmSync(join(root, "public", f));
copyFileSync(widget, join(root, `public/widget.${widgetHash}.js`));
writeFileSync(join(root, "public/widget-version.json"), JSON.stringify({ path: `/widget.${widgetHash}.js` }) + "\n");

// The console: Vite (Rollup-compatible code splitting, React's JSX) builds it under /app/. The budget
// counts what the first load of /app runs: the entry chunk and its static imports, not the lazy
// pages (the program builder, charts).
const CONSOLE_BUDGET_GZIP = 200 * 1024;
const { build: viteBuild } = await import("vite");
const { default: react } = await import("@vitejs/plugin-react");
const consoleOut = join(root, "public/app");
await viteBuild({
  configFile: false,
  root: join(root, "src/console"),
  base: "/app/",
  plugins: [react()],
  logLevel: "warn",
  build: { outDir: consoleOut, emptyOutDir: true, manifest: true, target: "es2022", sourcemap: false, chunkSizeWarningLimit: 1000, minify: !process.env.CONSOLE_NO_MINIFY },
});
const manifest = JSON.parse(readFileSync(join(consoleOut, ".vite/manifest.json"), "utf8"));
const firstLoad = new Set();
const visit = (key) => {
  const chunk = manifest[key];
  if (!chunk || firstLoad.has(chunk.file)) return;
  firstLoad.add(chunk.file);
  for (const imported of chunk.imports ?? []) visit(imported);
};
for (const [key, chunk] of Object.entries(manifest)) if (chunk.isEntry) visit(key);
const consoleGzip = [...firstLoad]
  .filter((f) => f.endsWith(".js"))
  .reduce((sum, f) => sum + gzipSync(readFileSync(join(consoleOut, f))).byteLength, 0);
if (consoleGzip > CONSOLE_BUDGET_GZIP) {
  console.error(`the console's first load is ${consoleGzip} bytes of gzipped JavaScript, over its ${CONSOLE_BUDGET_GZIP} byte budget`);
  process.exit(1);
}
if (process.env.VERBOSE_ASSETS) console.log(`console first load: ${firstLoad.size} files, ${consoleGzip} bytes of JS gzipped`);
