// Copies browser assets the Worker serves from public/ (kept out of git): the API reference script.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";

const root = dirname(dirname(new URL(import.meta.url).pathname));
const scalar = join(root, "node_modules/@scalar/api-reference/dist/browser/standalone.js");
mkdirSync(join(root, "public/docs"), { recursive: true });
copyFileSync(scalar, join(root, "public/docs/scalar.js"));
