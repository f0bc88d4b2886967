# Mustang CLI: the independent Factur-X validator of the billing tests (XSD, EN 16931 and French
# schematrons, PDF/A-3 through its bundled veraPDF). One self-contained jar from Maven Central (about
# 60 MB); run it with scripts/tools/mustang/validate.sh FILE.
MUSTANG_VERSION=2.26.0
MUSTANG="$CACHE/mustang"
if [ ! -f "$MUSTANG/.complete-$MUSTANG_VERSION" ]; then
  command -v mvn >/dev/null || apt_install maven
  command -v java >/dev/null || apt_install default-jre-headless
  say "fetching org.mustangproject:Mustang-CLI:$MUSTANG_VERSION from Maven Central"
  rm -rf "$MUSTANG"
  mkdir -p "$MUSTANG"
  mvn -q -B -f "$ROOT/scripts/tools/mustang/pom.xml" -Dmustang.version="$MUSTANG_VERSION" \
    -Dmustang.jar="$MUSTANG/Mustang-CLI.jar" dependency:get
  touch "$MUSTANG/.complete-$MUSTANG_VERSION"
fi
