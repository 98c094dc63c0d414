// Stands in for the ssh2 package where docker-modem loads it (see launch.js):
// docker-modem requires ssh2 when it loads, for DOCKER_HOST=ssh:// engines,
// and that cost every shiplog process 18 MB. The real package is loaded the
// first time an SSH connection is made.
'use strict';
const { createRequire } = require('node:module');

const fromModem = createRequire(require.resolve('docker-modem'));
let real;
const load = () => {
  real ??= fromModem('ssh2');
  return real;
};

module.exports = {
  Client: function Client(...args) {
    return new (load().Client)(...args);
  },
};
