// Builds ledger/static_src into ledger/static/ledger (not committed); `python manage.py
// collectstatic` then copies the result, hashed, into static/, which is committed.
const { src, dest } = require("gulp");
const sass = require("gulp-sass")(require("sass"));

function build() {
  return src("ledger/static_src/app.scss").pipe(sass()).pipe(dest("ledger/static/ledger/css/"));
}

exports.build = build;
