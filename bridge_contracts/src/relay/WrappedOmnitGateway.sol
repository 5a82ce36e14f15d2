// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Mailbox} from "./Mailbox.sol";
import {TokenGateway} from "./TokenGateway.sol";
import {WrappedOMNIT} from "./WrappedOMNIT.sol";

/// @title WrappedOmnitGateway
/// @notice The remote end of the OMNIT route: mints wrapped OMNIT when OMNIT arrives, burns it when
///         it leaves. Deploys its own WrappedOMNIT so no one else can ever mint it.
contract WrappedOmnitGateway is TokenGateway {
    /// @notice The wrapped token this gateway mints and burns.
    WrappedOMNIT public immutable token;

    /// @param mailbox_ The remote chain's mailbox.
    /// @param owner_ Configures peers and limits.
    /// @param guardian_ May pause routes.
    constructor(Mailbox mailbox_, address owner_, address guardian_) TokenGateway(mailbox_, owner_, guardian_) {
        token = new WrappedOMNIT();
    }

    /// @dev Burn the sender's wrapped tokens.
    function _take(address from, uint256 amount) internal override {
        token.burn(from, amount);
    }

    /// @dev Mint wrapped tokens.
    function _give(address to, uint256 amount) internal override {
        token.mint(to, amount);
    }
}
