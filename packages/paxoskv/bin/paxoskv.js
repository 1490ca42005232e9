#!/usr/bin/env node
import '../dist/cli/paxoskv.js';
