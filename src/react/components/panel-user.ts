import { createContext } from 'react';

/**
 * Who edits in a ScratchpadPanel, for the cards that are being edited. A context rather than a prop of every card:
 * typing a new name re-renders the open editors only, not 200 section cards.
 */
export const PanelUserContext = createContext<string>('user');
