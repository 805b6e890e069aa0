# The reconciler worker. Build: docker build -t reconciler .
# Run:   docker run -v reconciler-state:/state -p 9108:9108 \
#          -e RECONCILER_REPO=https://github.com/acme/infra.git -e AWS_REGION=eu-west-1 reconciler
FROM python:3.12-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /state --shell /usr/sbin/nologin reconciler

WORKDIR /opt/reconciler
COPY pyproject.toml README.md ./
COPY reconciler ./reconciler
# The same install step as README.md ("Install"), minus the local AWS extra.
RUN pip install --no-cache-dir .

ENV RECONCILER_STATE=/state \
    RECONCILER_LISTEN=0.0.0.0:9108 \
    PYTHONUNBUFFERED=1
VOLUME ["/state"]
EXPOSE 9108
USER reconciler
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=4)" || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["reconciler"]
CMD ["run"]
