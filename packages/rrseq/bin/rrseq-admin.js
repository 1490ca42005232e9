#!/usr/bin/env node
import '../dist/cli/rrseq-admin.js';
