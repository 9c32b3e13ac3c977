// Bundles the front-end sources into static/build (a stand-in for webpack: concatenation).
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
const out = path.join(root, "static", "build");
const sources = ["wiki.js"].map((name) => fs.readFileSync(path.join(__dirname, name), "utf8"));
fs.writeFileSync(path.join(out, "wiki.js"), "/* built */\n" + sources.join("\n"));
