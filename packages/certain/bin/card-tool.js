#!/usr/bin/env node
import '../dist/cli/card-tool.js';
