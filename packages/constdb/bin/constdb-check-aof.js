#!/usr/bin/env node
import '../dist/cli/constdb-check-aof.js';
