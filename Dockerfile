# frontline: multi-stage build; the runtime image holds only the binary and its CA roots.
FROM rust:1-bookworm AS build
WORKDIR /src
# Dependencies first, so that a source change does not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked || true
COPY . .
RUN touch src/main.rs src/lib.rs && cargo build --release --locked \
    && strip target/release/frontline

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin frontline \
    && mkdir -p /data && chown frontline /data
COPY --from=build /src/target/release/frontline /usr/local/bin/frontline
USER frontline
WORKDIR /data
ENV FRONTLINE_BIND=0.0.0.0:8080 \
    FRONTLINE_DATABASE_URL=sqlite:///data/frontline.db \
    FRONTLINE_LOG=info
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/frontline"]
CMD ["serve"]
