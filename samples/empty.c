/* Allocates nothing: what the runtime itself allocates under the tracker is
 * measured with this, and subtracted from the other samples' totals. */
int main(void) { return 0; }
