# One battrace company node (or, with another command, a data-space operator).
# NOT exercised in CI: an example to adapt (see docs/deploy.md §10). Build: docker build -t battrace .
FROM python:3.11-slim

# A fixed unprivileged user; its home is the node's data directory (keys, wallet, generated secrets);
# /srv/space is where an operator container keeps its space (owned by the user, so a volume there is too).
RUN useradd --system --uid 10001 --create-home --home-dir /var/lib/battrace battrace \
    && mkdir -p /etc/battrace /srv/space && chown battrace /srv/space

WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir . && rm -rf /build

USER battrace
WORKDIR /var/lib/battrace
VOLUME ["/var/lib/battrace"]
EXPOSE 8101
# Mount the config at /etc/battrace/node.toml; set data_dir = "/var/lib/battrace" and host = "0.0.0.0" in it.
CMD ["battrace", "serve", "--config", "/etc/battrace/node.toml"]
