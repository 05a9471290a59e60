#!/usr/bin/env bash
# Checks the container setup without a Docker engine (none runs on CI's machine):
#  1. docker-compose.yml is valid (Debian's docker-compose, `config`).
#  2. The Dockerfile's build stage works on exactly the files it copies: each `COPY <src> <dest>`
#     of that stage is copied from this checkout into a clean folder, then the stage's `RUN npm ...`
#     commands run there. A file the build needs but the Dockerfile does not copy fails here.
#  3. What the runtime stage copies from the build stage exists, and the pruned tree (production
#     dependencies only) runs the command line.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v docker-compose >/dev/null; then
  echo "== installing docker-compose (Debian package) to validate docker-compose.yml"
  apt-get update -qq >/dev/null && apt-get install -y -qq docker-compose >/dev/null
fi
echo "== docker-compose config"
docker-compose -f docker-compose.yml config -q
echo "docker-compose.yml is valid"

clean=$(mktemp -d)
trap 'rm -rf "$clean"' EXIT
# The build stage: lines from `FROM ... AS build` up to the next FROM.
stage=$(awk '/^FROM .* AS build$/{on=1; next} /^FROM /{on=0} on' Dockerfile)
echo "== build stage in a clean copy ($clean)"
while read -r instruction rest; do
  case "$instruction" in
    COPY)
      read -r -a parts <<<"$rest"
      dest=${parts[-1]}
      for src in "${parts[@]:0:${#parts[@]}-1}"; do
        [ -e "$src" ] || { echo "Dockerfile copies $src, which is not in the repository"; exit 1; }
        # As COPY does: a directory's contents go into dest; a file goes into dest/ or becomes dest.
        if [ -d "$src" ]; then mkdir -p "$clean/$dest"; cp -r "$src/." "$clean/$dest"
        elif [ "${dest: -1}" = "/" ]; then mkdir -p "$clean/$dest"; cp "$src" "$clean/$dest"
        else mkdir -p "$clean/$(dirname "$dest")"; cp "$src" "$clean/$dest"; fi
      done
      ;;
    RUN)
      case "$rest" in
        npm\ *) echo "-- $rest"; (cd "$clean" && bash -c "$rest") ;;
        *) echo "-- skipped (not an npm command): $rest" ;;
      esac
      ;;
  esac
done <<<"$stage"

for path in $(awk '/^COPY --from=build/{print $(NF-1)}' Dockerfile); do
  [ -e "$clean/${path#/app/}" ] || { echo "the runtime stage copies $path, which the build stage did not produce"; exit 1; }
done
if ! (cd "$clean" && node dist/src/main.js --help >"$clean/help.txt" 2>&1); then
  echo "the pruned image tree cannot run dist/src/main.js --help:"; cat "$clean/help.txt"; exit 1
fi
echo "docker build stage reproduced from exactly the copied files; runtime tree runs"
