# Floe's single binary in a small Debian image.
#
#   docker build -t floe .
#   docker run --rm floe help
#
# The image runs `floe node` and `floe server` (see docker-compose.yml).
# `floe dev` needs PostgreSQL's server binaries, which this image leaves out;
# give it --database-url, or run floe dev outside Docker.

# Build stage. The Go image's toolchain must satisfy go.mod's go line: the
# official images set GOTOOLCHAIN=local and never download another one.
FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so that editing the source reuses this layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Static (no cgo), so the binary needs nothing from the runtime image.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/floe ./cmd/floe

# Runtime stage.
FROM debian:bookworm-slim
RUN apt-get update \
	&& apt-get install -y --no-install-recommends ca-certificates \
	&& rm -rf /var/lib/apt/lists/*
# An unprivileged user, and /data owned by it: a volume mounted there
# starts out with this ownership.
RUN groupadd --system --gid 10001 floe \
	&& useradd --system --uid 10001 --gid floe --home-dir /data --no-create-home --shell /usr/sbin/nologin floe \
	&& mkdir /data \
	&& chown floe:floe /data
COPY --from=build /out/floe /usr/local/bin/floe
USER floe:floe
WORKDIR /data
# 9000: S3 (floe server); 9001: node API (floe node).
EXPOSE 9000 9001
ENTRYPOINT ["floe"]
CMD ["help"]
