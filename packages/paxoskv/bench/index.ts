console.log('bench: see below');
