#!/bin/sh
# Stands in for Prisma's schema engine where it cannot be downloaded. The Prisma CLI insists that
# the engine exists before `prisma generate`, although generate does not run it (it parses the
# schema with the WebAssembly build inside the CLI); anything that does run it fails clearly here.
echo "Prisma's schema engine is not installed here: 'prisma generate' does not need it; 'prisma migrate' does (run it from an image built with PRISMA_FETCH_ENGINES=true)" >&2
exit 1
