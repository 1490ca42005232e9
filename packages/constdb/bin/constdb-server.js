#!/usr/bin/env node
import '../dist/cli/constdb-server.js';
