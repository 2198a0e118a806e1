/// <reference types="vite/client" />

declare module 'virtual:texts' {
  const texts: import('./protocol.ts').BuiltInText[];
  export default texts;
}
