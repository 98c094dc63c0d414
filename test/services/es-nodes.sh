# The test Elasticsearch nodes, sourced by up.sh and down.sh so both agree on
# where each one lives. es_node NAME sets:
#   NODE_VERSION  the integ-test-zip version it runs
#   NODE_PORT     HTTP port (the transport port is NODE_PORT + 100)
#   NODE_DIR      its config, data, logs and pidfile, under $STATE
#   NODE_HEAP     -Xms/-Xmx
#   NODE_SECURE   1: security on, HTTPS with required client certificates
#   NODE_URL      what clients connect to
# The nodes:
#   elasticsearch         8.19, security off: what most tests use
#   elasticsearch-secure  8.19, security on (TLS, client certificates, a file-realm user)
#   elasticsearch7        7.17 on Java 17: an older customer cluster (no data streams)
ES_NODES=(elasticsearch elasticsearch-secure elasticsearch7)

es_node() {
  case $1 in
  elasticsearch)
    NODE_VERSION=8.19.21 NODE_PORT=${SHIPLOG_TEST_ES_PORT:-9250} NODE_HEAP=1g NODE_SECURE=0 ;;
  elasticsearch-secure)
    NODE_VERSION=8.19.21 NODE_PORT=${SHIPLOG_TEST_ES_SECURE_PORT:-9260} NODE_HEAP=512m NODE_SECURE=1 ;;
  elasticsearch7)
    NODE_VERSION=7.17.29 NODE_PORT=${SHIPLOG_TEST_ES7_PORT:-9280} NODE_HEAP=512m NODE_SECURE=0 ;;
  *) return 1 ;;
  esac
  NODE_DIR=$STATE/$1-$NODE_PORT
  if ((NODE_SECURE)); then NODE_URL=https://127.0.0.1:$NODE_PORT; else NODE_URL=http://127.0.0.1:$NODE_PORT; fi
}
