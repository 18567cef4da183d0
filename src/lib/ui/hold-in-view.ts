/**
 * Keeps an element where it is on screen while content above it changes size (a panel whose data
 * arrives after the page scrolled to the element), until the person scrolls or `maxMs` pass. This
 * is what the browser's scroll anchoring does; Safari has it only from version 27, and without it
 * the element was pushed out of sight (the bank's «Изменить»: the probable duplicates arrive above
 * the form). Where the browser anchors, the element does not move, its own scroll ends the hold,
 * and nothing here scrolls. Returns a function that ends the hold early.
 */
export function holdInView(element: HTMLElement, maxMs = 10_000): () => void {
	const top = element.getBoundingClientRect().top;
	/** Where this hold last left the page: any other position is someone else's scroll. */
	let heldAt = window.scrollY;
	const scrolledAway = () => Math.abs(window.scrollY - heldAt) >= 1;
	const observer = new ResizeObserver(() => {
		// A scroll not yet told by its event (they come once a frame) is someone else's too: the
		// person's, or the browser's own anchoring.
		if (scrolledAway()) return stop();
		const moved = element.getBoundingClientRect().top - top;
		if (Math.abs(moved) < 1) return;
		window.scrollBy({ top: moved, behavior: 'instant' });
		heldAt = window.scrollY;
	});
	const onScroll = () => {
		if (scrolledAway()) stop();
	};
	const timer = setTimeout(stop, maxMs);
	function stop() {
		observer.disconnect();
		removeEventListener('scroll', onScroll);
		clearTimeout(timer);
	}
	// The body's size changes whenever content above the element does.
	observer.observe(document.body);
	addEventListener('scroll', onScroll, { passive: true });
	return stop;
}
