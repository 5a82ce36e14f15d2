// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Mailbox} from "./Mailbox.sol";
import {TokenGateway} from "./TokenGateway.sol";

/// @title OmniGateway
/// @notice The L1 end of the OMNIT route: locks OMNIT when it leaves, releases it when it comes back.
///         The locked balance always equals the wrapped supply on remote chains plus transfers in flight.
contract OmniGateway is TokenGateway {
    using SafeERC20 for IERC20;

    /// @notice OMNIT on the L1.
    IERC20 public immutable token;

    /// @param token_ The OMNIT token.
    /// @param mailbox_ The L1 mailbox.
    /// @param owner_ Configures peers and limits.
    /// @param guardian_ May pause routes.
    constructor(IERC20 token_, Mailbox mailbox_, address owner_, address guardian_)
        TokenGateway(mailbox_, owner_, guardian_)
    {
        token = token_;
    }

    /// @dev Lock: pull from the sender (needs an allowance).
    function _take(address from, uint256 amount) internal override {
        token.safeTransferFrom(from, address(this), amount);
    }

    /// @dev Release locked OMNIT.
    function _give(address to, uint256 amount) internal override {
        token.safeTransfer(to, amount);
    }
}
