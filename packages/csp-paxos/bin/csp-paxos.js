#!/usr/bin/env node
import '../dist/cli/csp-paxos.js';
