#!/usr/bin/env node
import '../dist/cli/card-srv.js';
