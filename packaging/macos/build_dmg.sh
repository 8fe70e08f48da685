#!/bin/sh
# Package "dist/Dialer Companion.app" (packaging/build.py on macOS) as a dmg; sign, notarise and
# staple it when the credentials are there.
#
#     sh packaging/macos/build_dmg.sh [APP] [OUT_DIR]
#
# Credentials come from the environment only, which CI fills from its secrets:
#   MACOS_SIGNING_IDENTITY   "Developer ID Application: …" in the keychain; the same identity
#                            signed the app at build time (the spec reads it too)
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD
#                            notarisation with `xcrun notarytool` (an app-specific password)
#   DIALER_REQUIRE_SIGNING=1 fail instead of producing an unsigned dmg (release builds)
set -eu
cd "$(dirname "$0")/../.."

app=${1:-"dist/Dialer Companion.app"}
out=${2:-dist}
version=$(/usr/libexec/PlistBuddy -c "Print :CFBundleShortVersionString" "$app/Contents/Info.plist")
dmg="$out/dialer-companion-$version.dmg"
identity=${MACOS_SIGNING_IDENTITY:-}
require=${DIALER_REQUIRE_SIGNING:-0}

notarise=1
for var in APPLE_ID APPLE_TEAM_ID APPLE_APP_PASSWORD; do
    eval "value=\${$var:-}"
    [ -n "$value" ] || notarise=0
done
if [ "$require" = 1 ] && { [ -z "$identity" ] || [ "$notarise" = 0 ]; }; then
    echo "signing and notarisation credentials are missing (MACOS_SIGNING_IDENTITY, APPLE_ID," \
        "APPLE_TEAM_ID, APPLE_APP_PASSWORD)" >&2
    exit 1
fi

# The app as built must already carry a valid signature (ad hoc without an identity).
codesign --verify --deep --strict --verbose=2 "$app"

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
mkdir -p "$out"
rm -f "$dmg"
hdiutil create -volname "Dialer Companion" -srcfolder "$staging" -fs HFS+ -format UDZO \
    -imagekey zlib-level=9 -ov "$dmg"

if [ -n "$identity" ]; then
    codesign --force --timestamp --sign "$identity" "$dmg"
    codesign --verify --verbose=2 "$dmg"
else
    echo "MACOS_SIGNING_IDENTITY is not set: the dmg is not signed" >&2
fi

if [ -n "$identity" ] && [ "$notarise" = 1 ]; then
    xcrun notarytool submit "$dmg" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
        --password "$APPLE_APP_PASSWORD" --wait --timeout 30m
    xcrun stapler staple "$dmg"
    xcrun stapler validate "$dmg"
    spctl --assess --type open --context context:primary-signature --verbose=2 "$dmg"
else
    echo "notarisation skipped: it needs a signing identity and APPLE_ID, APPLE_TEAM_ID," \
        "APPLE_APP_PASSWORD" >&2
fi
echo "built $dmg"
