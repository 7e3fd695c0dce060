// Bundles ui/ into ui/dist/: one ES module, the stylesheet and index.html.
// No remote fonts, scripts or images: everything the window shows ships in
// the app. Prints the gzipped size the budget is measured on.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { gzipSync } from "node:zlib";

const dist = new URL("./dist/", import.meta.url);
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

await build({
  entryPoints: [new URL("./src/main.ts", import.meta.url).pathname],
  bundle: true,
  format: "esm",
  target: ["es2022"],
  minify: true,
  sourcemap: false,
  legalComments: "none",
  outfile: new URL("app.js", dist).pathname,
  logLevel: "warning",
});
for (const file of ["index.html", "styles.css"]) {
  copyFileSync(new URL(`./${file}`, import.meta.url), new URL(file, dist));
}
copyFileSync(new URL("../icons/icon.svg", import.meta.url), new URL("logo.svg", dist));

let total = 0;
for (const file of ["index.html", "styles.css", "app.js", "logo.svg"]) {
  total += gzipSync(readFileSync(new URL(file, dist))).length;
}
console.log(`ui/dist: ${(total / 1024).toFixed(1)} kB gzipped`);
