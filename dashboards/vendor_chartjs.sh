#!/bin/sh
# Vendor Chart.js (MIT) from the npm registry into static/vendor/chartjs/: hospital intranets have no CDN.
# Usage: sh dashboards/vendor_chartjs.sh [version]   (run from the project root; needs npm)
# The source-map comment is removed: the map is not shipped, and the manifest static storage would
# otherwise fail on the missing file at collectstatic.
set -eu
VERSION="${1:-4.6.1}"
DEST="static/vendor/chartjs"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "chart.js@$VERSION" >/dev/null 2>&1 && tar xzf "chart.js-$VERSION.tgz")
mkdir -p "$DEST"
sed '/^\/\/# sourceMappingURL=/d' "$WORK/package/dist/chart.umd.min.js" > "$DEST/chart.umd.min.js"
cp "$WORK/package/LICENSE.md" "$DEST/LICENSE.md"
printf 'chart.js %s (npm), dist/chart.umd.min.js, MIT licence (LICENSE.md).\nsha256 %s\n' \
  "$VERSION" "$(sha256sum "$DEST/chart.umd.min.js" | cut -d' ' -f1)" > "$DEST/VERSION.txt"
echo "vendored chart.js $VERSION into $DEST"
