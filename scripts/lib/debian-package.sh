# Sourced by scripts/package: the steps that turn a staged file tree into a .deb. Each works
# on one package's tree, `$stage`, whose DEBIAN/ it fills from deploy/debian/<package>/.

# deb_layout WORK: the minimal debian/ layout dpkg-shlibdeps works in: WORK/debian/control,
# naming the packages, and each package's tree in WORK/debian/<package>, which it prints.
deb_layout() {
  local work=$1 package
  mkdir -p "$work/debian"
  printf 'Source: bms-tunnel\n' >"$work/debian/control"
  for package in "${@:2}"; do
    printf '\nPackage: %s\nArchitecture: any\n' "$package" >>"$work/debian/control"
    install -d -m 0755 "$work/debian/$package" "$work/debian/$package/DEBIAN"
  done
}

# deb_depends WORK BINARY...: the shared libraries' packages, as dpkg-shlibdeps computes them
# (versions from the libraries' symbols files), on one line. The binaries are in WORK's layout.
deb_depends() {
  local work=$1
  shift
  (cd "$work" && dpkg-shlibdeps -O "${@#"$work/"}") | sed -n 's/^shlibs:Depends=//p'
}

# deb_program BINARY DEST: the program without its debug information (a third of its size;
# the symbol table stays, so a crash's backtrace in the journal still names functions).
deb_program() {
  install -d -m 0755 "$(dirname "$2")"
  objcopy --strip-debug "$1" "$2"
  chmod 0755 "$2"
}

# deb_require_static_swift BINARY: fails if the binary still loads the Swift runtime from a
# toolchain (a gateway has none), that is if --static-swift-stdlib did not take.
deb_require_static_swift() {
  local swift_libraries
  swift_libraries=$(ldd "$1" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime|lib_Foundation' || true)
  if [ -n "$swift_libraries" ]; then
    echo "package: $1 loads the Swift runtime dynamically:" >&2
    echo "$swift_libraries" >&2
    return 1
  fi
}

# deb_unit SOURCE DEST: a systemd unit of deploy/, with the programs where the package puts them.
deb_unit() {
  install -d -m 0755 "$(dirname "$2")"
  sed 's#/usr/local/bin/#/usr/bin/#g' "$1" >"$2"
  chmod 0644 "$2"
  if grep -q /usr/local/ "$2"; then
    echo "package: $2 still names /usr/local after the rewrite" >&2
    return 1
  fi
}

# deb_control PACKAGE STAGE VERSION DEPENDS: DEBIAN/ of the tree: control with its fields
# filled in, conffiles, and the maintainer scripts with the shared systemd functions put in.
deb_control() {
  local package=$1 stage=$2 version=$3 depends=$4
  local source="deploy/debian/$package" size script
  size=$(du -s -k --exclude=DEBIAN "$stage" | cut -f1)
  sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$(dpkg --print-architecture)/" \
    -e "s/@INSTALLED_SIZE@/$size/" -e "s/@DEPENDS@/$depends/" "$source/control" >"$stage/DEBIAN/control"
  install -m 0644 "$source/conffiles" "$stage/DEBIAN/conffiles"
  for script in postinst prerm postrm; do
    sed -e '/^# @SYSTEMD_FUNCTIONS@$/{r deploy/debian/systemd-functions.sh' -e 'd}' \
      "$source/$script" >"$stage/DEBIAN/$script"
    chmod 0755 "$stage/DEBIAN/$script"
    bash -n "$stage/DEBIAN/$script"
  done
}

# deb_build STAGE OUT: the .deb in OUT (every file root:root; the postinst gives out the
# rest), named as dpkg-deb names it; prints its path.
deb_build() {
  local stage=$1 out=$2 package version
  package=$(sed -n 's/^Package: //p' "$stage/DEBIAN/control")
  version=$(sed -n 's/^Version: //p' "$stage/DEBIAN/control")
  dpkg-deb --root-owner-group --build "$stage" "$out" >/dev/null
  echo "$out/${package}_${version#*:}_$(dpkg --print-architecture).deb"
}
