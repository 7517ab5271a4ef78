# kabar: one binary, a TOML file, SQLite (or PostgreSQL for several instances: see docker-compose.yml).
#   docker build -t kabar .
#   docker run -v $PWD/kabar.toml:/etc/kabar/kabar.toml:ro -v kabar-data:/var/lib/kabar -p 8080:8080 kabar
# In the mounted kabar.toml set http.listen = "0.0.0.0:8080" and database.url = "sqlite:///var/lib/kabar/kabar.db".

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY crates crates
COPY src src
COPY migrations migrations
COPY templates templates
COPY locales locales
# Cargo.toml declares the benchmarks, so cargo needs their files to read the manifest.
COPY benches benches
RUN cargo build --release --locked --bin kabar && strip target/release/kabar

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/kabar --create-home kabar
COPY --from=build /src/target/release/kabar /usr/local/bin/kabar
# The migrations and templates are compiled into the binary; these copies are for operators to read.
COPY --chown=kabar migrations /usr/share/kabar/migrations
COPY --chown=kabar templates /usr/share/kabar/templates
COPY --chown=kabar kabar.example.toml /usr/share/kabar/kabar.example.toml
USER kabar
WORKDIR /var/lib/kabar
VOLUME ["/var/lib/kabar"]
ENV KABAR_CONFIG=/etc/kabar/kabar.toml
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/kabar"]
CMD ["run"]
