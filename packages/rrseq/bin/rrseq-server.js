#!/usr/bin/env node
import '../dist/cli/rrseq-server.js';
