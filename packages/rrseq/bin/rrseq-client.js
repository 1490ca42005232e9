#!/usr/bin/env node
import '../dist/cli/rrseq-client.js';
