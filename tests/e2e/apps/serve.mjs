// Run with: node serve.mjs DIR HOST:PORT — a static file server for the package test apps
// (the built Vite app, the CMS page), as any web host would serve them: no CSP of ours, real
// MIME types (application/wasm for the .wasm), index.html for folders.
import http from "node:http";
import { createReadStream, statSync } from "node:fs";
import path from "node:path";

const [dir, listen] = process.argv.slice(2);
const [host, port] = listen.split(":");
const root = path.resolve(dir);
const types = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript",
  ".wasm": "application/wasm", ".css": "text/css", ".json": "application/json", ".map": "application/json",
};

http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  let file = path.join(root, decodeURIComponent(url.pathname));
  if (!file.startsWith(root)) return res.writeHead(403).end();
  try {
    if (statSync(file).isDirectory()) file = path.join(file, "index.html");
    statSync(file);
  } catch {
    return res.writeHead(404).end("not found");
  }
  res.writeHead(200, { "Content-Type": types[path.extname(file)] ?? "application/octet-stream" });
  createReadStream(file).pipe(res);
}).listen(Number(port), host, () => console.log(`serving ${root} on http://${listen}`));
