// Bundles the front-end sources into static/dist (a stand-in for webpack: concatenation).
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
const out = path.join(root, "static", "dist");
fs.mkdirSync(out, { recursive: true });
const sources = ["shelf.js"].map((name) => fs.readFileSync(path.join(__dirname, name), "utf8"));
fs.writeFileSync(path.join(out, "bundle.js"), "/* built */\n" + sources.join("\n"));
