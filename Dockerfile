# introspectmock container image: a static binary on scratch.
#
# The image builds from the repository alone, with no registry: build the
# binary first, then give docker a context holding only it and this file:
#
#   CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o introspectmock ./cmd/introspectmock
#   docker build -t introspectmock .        # .dockerignore keeps the context to these two files
#
# Run it with your fixtures mounted at /fixtures (every *.yaml/*.yml there):
#
#   docker run --rm -p 8080:8080 -v "$PWD/fixtures:/fixtures:ro" introspectmock
#
# With nothing mounted, /fixtures is empty and the embedded demo fixtures
# are served (INTROSPECTMOCK_DEMO_FALLBACK). Configure with INTROSPECTMOCK_*.
FROM scratch

COPY introspectmock /introspectmock

# WORKDIR creates the empty /fixtures that a volume may cover; scratch has
# no mkdir. The server only reads it.
WORKDIR /fixtures
WORKDIR /

ENV INTROSPECTMOCK_ADDR=0.0.0.0:8080 \
    INTROSPECTMOCK_FIXTURES=/fixtures \
    INTROSPECTMOCK_DEMO_FALLBACK=true

USER 65532:65532
EXPOSE 8080

# Shell-free: the binary GETs its own /healthz (HTTPS if INTROSPECTMOCK_TLS
# is set). The first check runs one interval after start, so a short
# interval keeps start-to-healthy under a second; --start-interval (Engine
# 25+) is left out so that older engines build the image too.
HEALTHCHECK --interval=500ms --timeout=2s --start-period=10s --retries=3 \
    CMD ["/introspectmock", "healthcheck"]

ENTRYPOINT ["/introspectmock"]
