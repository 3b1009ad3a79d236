/* Not in the house style on purpose: format-catches wants
 * tests/lint/format.py --check to fail on it (a check that passes
 * everything would pass this too). */
int bad(int a,int b){ if(a) return b; return a+b; }
