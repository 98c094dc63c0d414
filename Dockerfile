# shiplog's two images, from one install tree (packaging/stage.ts):
#   npm run kit                       builds the tree, both images and the kit
#   docker build --target agent -t shiplog/agent .       (after the tree exists)
#   docker build --target collector -t shiplog/collector .
# The base is Node 24 on Debian bookworm under the official image's name; at a
# site without a registry, test/services/up.sh packaging makes it locally.
# How to run them, with every mount: docs/operators.md.
ARG BASE_IMAGE=node:24-bookworm-slim

# ---- the application: production dependencies only, Node from the base image
FROM ${BASE_IMAGE} AS app
ARG TREE=.cache/packaging/tree
COPY ${TREE} /opt/shiplog
RUN chmod -R a+rX,go-w /opt/shiplog

# ---- what both images share: the user, the code, the compiled-code cache
FROM ${BASE_IMAGE} AS runtime
RUN groupadd --system --gid 10001 shiplog \
 && useradd --system --uid 10001 --gid shiplog --home-dir /var/lib/shiplog --shell /usr/sbin/nologin shiplog \
 && mkdir -p /var/cache/shiplog /etc/shiplog \
 && chown shiplog:shiplog /var/cache/shiplog
COPY --from=app /opt/shiplog /opt/shiplog
RUN ln -s /opt/shiplog/bin/shiplog /opt/shiplog/bin/shiplog-collector /usr/local/bin/
# Node's compiled-code cache: /var/cache/shiplog/compile, writable by shiplog only.
ENV XDG_CACHE_HOME=/var/cache \
    NODE_ENV=production

# ---- the vendor's portal
FROM runtime AS collector
COPY packaging/files/collector.yml /etc/shiplog/collector.yml
RUN mkdir -p /var/lib/shiplog-collector && chown shiplog:shiplog /var/lib/shiplog-collector
ENV SHIPLOG_COLLECTOR_DATA_DIR=/var/lib/shiplog-collector \
    SHIPLOG_COLLECTOR_LISTEN=0.0.0.0:8080
VOLUME /var/lib/shiplog-collector
EXPOSE 8080
USER shiplog
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.SHIPLOG_COLLECTOR_LISTEN.split(':').pop()}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["shiplog-collector"]
CMD ["serve", "--config", "/etc/shiplog/collector.yml"]

# ---- the host agent: reads the host through the mounts of docs/operators.md
#   -v /var/run:/run/docker-host:ro   the Docker socket's directory (survives a dockerd restart)
#   -v /var/log:/var/log:ro           the host's syslog files
#   -v /:/host:ro                     the host's root, for the host facts of bundles
FROM runtime AS agent
COPY packaging/files/agent.yml /etc/shiplog/agent.yml
RUN mkdir -p /var/lib/shiplog && chown shiplog:shiplog /var/lib/shiplog
WORKDIR /var/lib/shiplog
ENV SHIPLOG_DATA_DIR=/var/lib/shiplog \
    SHIPLOG_HOST_ROOT=/host \
    DOCKER_HOST=unix:///run/docker-host/docker.sock
VOLUME /var/lib/shiplog
USER shiplog
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["shiplog", "status", "--config", "/etc/shiplog/agent.yml"]
ENTRYPOINT ["shiplog"]
CMD ["agent", "--config", "/etc/shiplog/agent.yml"]
