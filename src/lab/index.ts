/** The lab: experiments that measure the tutorial's claims (data in, numbers and figure specifications out). */
export * from './vanishing.js';
export * from './exploding.js';
export * from './tasks.js';
export * from './cells.js';
